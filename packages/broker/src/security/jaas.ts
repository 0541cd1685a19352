/**
 * The JAAS configuration text Kafka takes in sasl.jaas.config:
 * `<LoginModule class> <flag> key="value" key2=value2;` (several modules may follow each other).
 */
export interface JaasModule {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

export function parseJaasConfig(text: string): JaasModule[] {
  const modules: JaasModule[] = [];
  const token = /\s*("(?:\\.|[^"\\])*"|[^\s=;"]+|=|;)/y;
  const tokens: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    token.lastIndex = pos;
    const m = token.exec(text);
    if (m === null) {
      if (/^\s*$/.test(text.slice(pos))) break;
      throw new Error(`Invalid JAAS config near "${text.slice(pos, pos + 20)}"`);
    }
    tokens.push(m[1]!);
    pos = token.lastIndex;
  }
  let i = 0;
  const unquote = (s: string): string => (s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);
  while (i < tokens.length) {
    const loginModule = tokens[i++]!;
    const flag = tokens[i++];
    if (flag === undefined || !/^(required|requisite|sufficient|optional)$/i.test(flag)) throw new Error(`Invalid JAAS config: login module ${loginModule} needs a control flag (required, requisite, sufficient or optional)`);
    const options = new Map<string, string>();
    while (i < tokens.length && tokens[i] !== ';') {
      const key = tokens[i++]!;
      if (tokens[i++] !== '=' || i >= tokens.length) throw new Error(`Invalid JAAS config: option ${key} of ${loginModule} has no value`);
      options.set(key, unquote(tokens[i++]!));
    }
    if (tokens[i] !== ';') throw new Error(`Invalid JAAS config: login module ${loginModule} must end with ';'`);
    i++;
    modules.push({ loginModule, flag: flag.toLowerCase(), options });
  }
  return modules;
}
