// A data table that scrolls inside its card (both ways, the header row staying on top) rather than
// widening the page on a phone.
import type { ComponentChildren } from 'preact';

/** `name` is the table's own class, beside `table`; `head` holds the header cells. */
export function ScrollTable({ name, head, children }: { name: string; head: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="table-scroll">
      <table class={`table ${name}`}>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
