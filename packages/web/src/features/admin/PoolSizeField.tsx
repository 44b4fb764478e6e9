import { MAX_POOL_SIZE } from '@berth/contracts';
import { TextField } from '../../components/Field.js';

/** A warm pool's size as typed, in the create and resize forms. */
export function PoolSizeField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error?: string }) {
  return (
    <TextField
      label="Size"
      name="size"
      type="number"
      inputMode="numeric"
      min={0}
      max={MAX_POOL_SIZE}
      step={1}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      hint={`Environments kept started, 0–${MAX_POOL_SIZE}`}
    />
  );
}

/** What PoolSizeField holds, read: a whole number from 0 to the most a pool keeps, or what is wrong with it. */
export function readPoolSize(value: string): { size: number; error: null } | { size: null; error: string } {
  const text = value.trim();
  const size = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(size) || size > MAX_POOL_SIZE) return { size: null, error: `A whole number from 0 to ${MAX_POOL_SIZE}.` };
  return { size, error: null };
}
