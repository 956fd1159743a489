import { useState } from 'react';

/**
 * Runs `reset` during the render in which the store's room epoch moved (another room: instants, diff base
 * and selections were about the previous document). Render-phase state updates of the same component, so
 * React re-renders at once with the reset state.
 */
export function useRoomChange(epoch: number, reset: () => void): void {
  const [seen, setSeen] = useState(epoch);
  if (seen !== epoch) {
    setSeen(epoch);
    reset();
  }
}
