import type { PointerEvent } from 'react';

interface Props {
  label: string;
  /** "vertical" separates side-by-side panes; "horizontal" stacked ones. */
  orientation: 'vertical' | 'horizontal';
  value: number;
  min: number;
  max: number;
  /** +1 when dragging right/down grows the value, -1 when it shrinks it. */
  direction: 1 | -1;
  onChange: (value: number) => void;
}

/** A draggable, keyboard-operable pane divider (WAI-ARIA window splitter). */
export function Splitter({ label, orientation, value, min, max, direction, onChange }: Props) {
  const clamp = (v: number) => Math.round(Math.min(max, Math.max(min, v)));
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    const start = orientation === 'vertical' ? event.clientX : event.clientY;
    const from = value;
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    const move = (e: globalThis.PointerEvent) => onChange(clamp(from + direction * ((orientation === 'vertical' ? e.clientX : e.clientY) - start)));
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
      target.removeEventListener('pointercancel', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
    target.addEventListener('pointercancel', up);
  };
  return (
    <div
      className={`ide-splitter ide-splitter-${orientation}`}
      role="separator"
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={(event) => {
        const grow = orientation === 'vertical' ? { ArrowRight: 1, ArrowLeft: -1 } : { ArrowDown: 1, ArrowUp: -1 };
        const step = grow[event.key as keyof typeof grow];
        if (step === undefined) return;
        event.preventDefault();
        onChange(clamp(value + step * direction * 24));
      }}
    />
  );
}
