import { ReactNode } from 'react';
import { Stack } from '@grafana/ui';

// Row lays out several controls inside one Field; it takes (and drops) the
// invalid/id props Field gives its child, which a DOM element must not get.
export function Row({ children }: { children: ReactNode; invalid?: boolean; id?: string }) {
  return (
    <Stack direction="row" gap={1}>
      {children}
    </Stack>
  );
}
