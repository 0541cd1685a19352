/**
 * ApiVersions (18). v0-v4. The response header is always v0 (handled by the router); an
 * unknown version gets a v0 UNSUPPORTED_VERSION answer from the router too (KIP-511).
 * v3+ carries the client's software name and version (KIP-511), kept on the connection.
 */
import { ApiKey, ErrorCode } from '@samsa/protocol';
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
export const apiVersionsHandler = {
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req, version) {
        const apiKeys = ctx.broker.apiVersions.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));
        if (version >= 3) {
            const name = req.clientSoftwareName ?? '';
            const ver = req.clientSoftwareVersion ?? '';
            if (!SOFTWARE.test(name) || !SOFTWARE.test(ver)) {
                return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 };
            }
            ctx.connection.clientSoftwareName = name;
            ctx.connection.clientSoftwareVersion = ver;
        }
        return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false };
    },
};
//# sourceMappingURL=api-versions.js.map