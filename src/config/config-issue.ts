/** One problem found in a config: the dotted path it is at and what is wrong there. */
export interface ConfigIssue {
  path: string;
  message: string;
}
