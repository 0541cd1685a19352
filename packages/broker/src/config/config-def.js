/** DescribeConfigs configType codes (KIP-569). */
export const CONFIG_TYPE_CODE = {
    boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9,
};
/** DescribeConfigs config source codes. */
export var ConfigSource;
(function (ConfigSource) {
    ConfigSource[ConfigSource["UNKNOWN"] = 0] = "UNKNOWN";
    ConfigSource[ConfigSource["DYNAMIC_TOPIC_CONFIG"] = 1] = "DYNAMIC_TOPIC_CONFIG";
    ConfigSource[ConfigSource["DYNAMIC_BROKER_CONFIG"] = 2] = "DYNAMIC_BROKER_CONFIG";
    ConfigSource[ConfigSource["DYNAMIC_DEFAULT_BROKER_CONFIG"] = 3] = "DYNAMIC_DEFAULT_BROKER_CONFIG";
    ConfigSource[ConfigSource["STATIC_BROKER_CONFIG"] = 4] = "STATIC_BROKER_CONFIG";
    ConfigSource[ConfigSource["DEFAULT_CONFIG"] = 5] = "DEFAULT_CONFIG";
    ConfigSource[ConfigSource["DYNAMIC_BROKER_LOGGER_CONFIG"] = 6] = "DYNAMIC_BROKER_LOGGER_CONFIG";
})(ConfigSource || (ConfigSource = {}));
export class ConfigException extends Error {
    name = 'ConfigException';
}
export const atLeast = (min) => ({
    check: (v) => (typeof v === 'number' && v < min ? `Value must be at least ${min}` : null),
    describe: `[${min},...]`,
});
export const between = (min, max) => ({
    check: (v) => (typeof v !== 'number' ? null : v < min ? `Value must be at least ${min}` : v > max ? `Value must be no more than ${max}` : null),
    describe: `[${min},...,${max}]`,
});
export const oneOf = (...allowed) => ({
    check: (v) => {
        const values = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
        for (const x of values)
            if (!allowed.includes(x))
                return `String must be one of: ${allowed.join(', ')}`;
        return null;
    },
    describe: `[${allowed.join(', ')}]`,
});
export const LONG_MAX = '9223372036854775807';
/** Parses a raw string as `type`; throws ConfigException with Kafka's wording on bad input. */
export function parseValue(name, type, raw) {
    if (raw === null)
        return null;
    const s = type === 'password' ? raw : raw.trim();
    switch (type) {
        case 'boolean':
            if (s.toLowerCase() === 'true')
                return true;
            if (s.toLowerCase() === 'false')
                return false;
            throw new ConfigException(`Invalid value ${raw} for configuration ${name}: Expected value to be either true or false`);
        case 'int':
        case 'short':
        case 'long': {
            if (!/^[+-]?\d+$/.test(s))
                throw new ConfigException(`Invalid value ${raw} for configuration ${name}: Not a number of type ${type.toUpperCase()}`);
            const big = BigInt(s);
            const limit = type === 'int' ? 2n ** 31n : type === 'short' ? 2n ** 15n : 2n ** 63n;
            const n = Number(big);
            if (big >= limit || big < -limit)
                throw new ConfigException(`Invalid value ${raw} for configuration ${name}: Not a number of type ${type.toUpperCase()}`);
            // Long.MAX_VALUE and friends exceed 2^53; they only ever mean "unbounded".
            return type === 'long' && !Number.isSafeInteger(n) ? (n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER) : n;
        }
        case 'double': {
            const n = Number(s);
            if (s === '' || Number.isNaN(n))
                throw new ConfigException(`Invalid value ${raw} for configuration ${name}: Not a number of type DOUBLE`);
            return n;
        }
        case 'list':
            return s === '' ? [] : s.split(',').map((x) => x.trim()).filter((x) => x !== '');
        default:
            return s;
    }
}
/** The text form of a typed value, as DescribeConfigs shows it. */
export function formatValue(type, v) {
    if (v === null)
        return null;
    if (type === 'long' && typeof v === 'number' && v >= Number.MAX_SAFE_INTEGER)
        return LONG_MAX;
    if (Array.isArray(v))
        return v.join(',');
    return String(v);
}
//# sourceMappingURL=config-def.js.map