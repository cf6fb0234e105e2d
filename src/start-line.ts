/**
 * What `npm start` tells a person at a terminal once the service listens (stdout a TTY only;
 * production's stdout, a pipe to the log collector, gets the JSON `listening` line alone, which
 * carries the same address as `url`): where to open the owners' pages and where staff sign in.
 */
export function startLine(publicUrl: string): string {
  return `打开 ${publicUrl}/ (staff: ${publicUrl}/account/sign-in)\n`;
}
