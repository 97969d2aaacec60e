/** The data the pipeline moves: sensor readings (deterministic, so a run's result can be checked). */

export interface Reading {
  seq: number;
  sensor: string;
  celsius: number;
  taken_at: string;
}

export interface ProcessedReading extends Reading {
  fahrenheit: number;
  level: 'cold' | 'mild' | 'hot';
}

export const SENSORS = ['north', 'south', 'east'] as const;

/** Reading number `seq` (1, 2, ...): sensors take turns; temperatures wander between -5 and 34.9 °C. */
export function reading(seq: number, start = Date.UTC(2026, 0, 1)): Reading {
  return {
    seq,
    sensor: SENSORS[(seq - 1) % SENSORS.length],
    celsius: Math.round(((seq * 97) % 400) - 50) / 10,
    taken_at: new Date(start + seq * 60_000).toISOString(),
  };
}

/** What the processor does to each reading: add °F and a comfort level. */
export function processReading(r: Reading): ProcessedReading {
  const fahrenheit = Math.round(((r.celsius * 9) / 5) * 10 + 320) / 10;
  const level = r.celsius < 10 ? 'cold' : r.celsius < 25 ? 'mild' : 'hot';
  return { ...r, fahrenheit, level };
}
