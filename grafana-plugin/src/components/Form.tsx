import { ReactNode } from 'react';

// Form is a labelled form whose submit (button or Enter) calls onSubmit
// without reloading the page.
export function Form({ label, onSubmit, children }: { label: string; onSubmit: () => void; children: ReactNode }) {
  return (
    <form
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}
