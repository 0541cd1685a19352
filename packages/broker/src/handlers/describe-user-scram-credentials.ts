/**
 * DescribeUserScramCredentials (50). v0. The mechanisms and iteration counts stored for each
 * user (never the keys); null users = every user with a credential. Needs DESCRIBE on the
 * cluster.
 */
import { ApiKey, ErrorCode, type DescribeUserScramCredentialsRequest, type DescribeUserScramCredentialsResponse } from '@samsa/protocol';
import { SCRAM_MECHANISMS } from '../security/sasl/mechanism.js';
import { parseScramCredential } from '../security/sasl/scram.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler } from './types.js';

type Result = DescribeUserScramCredentialsResponse['results'][number];

export const describeUserScramCredentialsHandler: ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
    }
    const entities = ctx.broker.security?.entities;
    const credentialsOf = (user: string): Result['credentialInfos'] => {
      const configs = entities?.configs({ user, clientId: null }) ?? new Map<string, string>();
      return SCRAM_MECHANISMS.flatMap((m, i) => {
        const text = configs.get(m);
        return text === undefined ? [] : [{ mechanism: i + 1, iterations: parseScramCredential(text).iterations }];
      });
    };
    let names: string[];
    if (req.users === null || req.users.length === 0) {
      names = [];
      for (const [e] of entities?.entries() ?? []) if (e.user !== null && e.clientId === null && credentialsOf(e.user).length > 0) names.push(e.user);
    } else {
      names = req.users.map((u) => u.name);
    }
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    const results: Result[] = [...new Set(names)].map((user) => {
      if ((seen.get(user) ?? 0) > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] };
      const infos = credentialsOf(user);
      if (infos.length === 0) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
};
