/** A config file or environment problem: the message names the file, line, instance and field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
