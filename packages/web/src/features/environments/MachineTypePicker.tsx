import type { MachineType, Quota } from '@berth/contracts';
import { useId } from 'react';
import { formatCredits, formatMemory } from './format.js';
import { unaffordableReason } from './machine-types.js';

type Props = {
  types: MachineType[];
  quota: Quota;
  value: string;
  onChange: (name: string) => void;
  error?: string;
};

/** Machine types as radio cards; each radio is named by the type alone, its details describe it. */
export function MachineTypePicker({ types, quota, value, onChange, error }: Props) {
  const id = useId();
  return (
    <fieldset className="type-picker" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Machine type</legend>
      <div className="type-grid">
        {types.map((type) => {
          const reason = unaffordableReason(type, quota);
          const nameId = `${id}-${type.name}-name`;
          const detailsId = `${id}-${type.name}-details`;
          return (
            <label key={type.name} className={`type-card${reason ? ' is-disabled' : ''}`}>
              <input
                type="radio"
                name="machine-type"
                value={type.name}
                checked={value === type.name}
                disabled={reason !== null}
                onChange={() => onChange(type.name)}
                aria-labelledby={nameId}
                aria-describedby={detailsId}
                data-autofocus={value === type.name || undefined}
              />
              <span className="type-name" id={nameId}>
                {type.name}
              </span>
              <span className="type-details" id={detailsId}>
                <span>
                  {type.vcpus} vCPU · {formatMemory(type.memoryMb)} · {type.diskGib} GiB disk
                </span>
                <span className="type-cost">{formatCredits(type.creditsCost)}</span>
                {reason && <span className="type-reason">{reason}</span>}
              </span>
            </label>
          );
        })}
      </div>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
