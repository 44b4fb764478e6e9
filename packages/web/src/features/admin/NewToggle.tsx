type Props = {
  label: string;
  open: boolean;
  /** The id of the element the create form shows in. */
  controls: string;
  buttonRef: (el: HTMLElement | null) => void;
  onToggle: () => void;
};

/** The "New …" button in an admin section's head: it opens and closes the section's create form. */
export function NewToggle({ label, open, controls, buttonRef, onToggle }: Props) {
  return (
    <button type="button" className="primary" aria-expanded={open} aria-controls={controls} ref={buttonRef} onClick={onToggle}>
      {label}
    </button>
  );
}
