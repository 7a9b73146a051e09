// Lays out a freshly built graph while it is on screen; the revision tells the canvas to redraw.
import { useEffect, useState } from 'react';
import { layoutProgressively, type ExplorerGraph } from './model';

export function useProgressiveLayout(graph: ExplorerGraph): { revision: number; done: boolean } {
  const [revision, setRevision] = useState(0);
  const [done, setDone] = useState(false);
  useEffect(() => {
    let current = true;
    setDone(false);
    void layoutProgressively(
      graph,
      () => setRevision((r) => r + 1),
      () => !current,
    ).then((finished) => current && setDone(finished));
    return () => {
      current = false;
    };
  }, [graph]);
  return { revision, done };
}
