/**
 * A java.util.Properties reader (the `load(Reader)` grammar): `key=value`, `key: value`,
 * `key value`; `#` and `!` comment lines; a line ending in an odd number of backslashes
 * continues on the next line (whose leading whitespace is dropped); escapes \t \n \r \f \uXXXX
 * and `\x` = x in keys and values. Later duplicates win, as in Java.
 */
export declare class PropertiesSyntaxError extends Error {
    readonly name = "PropertiesSyntaxError";
}
export declare function parseProperties(text: string): Map<string, string>;
