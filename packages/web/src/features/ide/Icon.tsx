/** Small line icons; decorative, so hidden from assistive technology (buttons carry labels). */
const PATHS = {
  chevron: 'M6 4l4 4-4 4',
  folder: 'M1.5 3.5h4l1.5 1.5h7.5v8h-13z',
  file: 'M3.5 1.5h6l3 3v10h-9zM9.5 1.5v3h3',
  newFile: 'M3.5 1.5h6l3 3v10h-9zM8 7v5M5.5 9.5h5',
  newFolder: 'M1.5 3.5h4l1.5 1.5h7.5v8h-13zM8 7v5M5.5 9.5h5',
  rename: 'M2 14l1-3.5L10.5 3l2.5 2.5L5.5 13zM9 4.5l2.5 2.5',
  trash: 'M2.5 4h11M6 4V2.5h4V4M4 4l.7 10h6.6L12 4',
  upload: 'M8 11V2M4.5 5.5L8 2l3.5 3.5M2 10v4h12v-4',
  download: 'M8 2v9M4.5 7.5L8 11l3.5-3.5M2 10v4h12v-4',
  refresh: 'M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2v3.5H10',
  plus: 'M8 3v10M3 8h10',
  close: 'M4 4l8 8M12 4l-8 8',
  external: 'M9 2h5v5M14 2L7 9M12 9.5V14H2V4h4.5',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg className={`ide-icon ${className ?? ''}`} viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
