export interface MappedError {
    code: number;
    message: string | null;
}
/** Kafka code and message for any error thrown by broker code; unknown errors are UNKNOWN_SERVER_ERROR. */
export declare function mapError(e: unknown): MappedError;
export declare function errorCodeOf(e: unknown): number;
