/**
 * AlterUserScramCredentials (51). v0. Upserts carry the client-computed salted password
 * (KIP-554); the broker stores Kafka's stored_key/server_key form in the user's entity config.
 * Needs ALTER on the cluster. Per-user errors as Kafka: duplicate users, unknown mechanisms,
 * iterations outside 4096-16384, deleting what does not exist.
 */
import { ApiKey, ErrorCode, type AlterUserScramCredentialsRequest, type AlterUserScramCredentialsResponse } from '@samsa/protocol';
import { SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, scramHash, serverKey, storedKey } from '@samsa/protocol/sasl';
import { SCRAM_MECHANISMS } from '../security/sasl/mechanism.js';
import { formatScramCredential } from '../security/sasl/scram.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler } from './types.js';

type Result = AlterUserScramCredentialsResponse['results'][number];
const mechanismName = (code: number): string | undefined => SCRAM_MECHANISMS[code - 1];

export const alterUserScramCredentialsHandler: ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    const entities = ctx.broker.security?.entities;
    if (!authorizeCluster(ctx, AclOperation.ALTER) || entities === undefined) {
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    }
    const results: Result[] = [];
    for (const user of users) {
      const deletions = req.deletions.filter((d) => d.name === user);
      const upsertions = req.upsertions.filter((u) => u.name === user);
      const mechanisms = [...deletions.map((d) => d.mechanism), ...upsertions.map((u) => u.mechanism)];
      const fail = (errorCode: number, errorMessage: string): void => void results.push({ user, errorCode, errorMessage });
      if (user === '') fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (new Set(mechanisms).size !== mechanisms.length) fail(ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else if (mechanisms.some((m) => mechanismName(m) === undefined)) fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (upsertions.some((u) => u.iterations < SCRAM_MIN_ITERATIONS)) fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations (minimum ${SCRAM_MIN_ITERATIONS})`);
      else if (upsertions.some((u) => u.iterations > SCRAM_MAX_ITERATIONS)) fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations (maximum ${SCRAM_MAX_ITERATIONS})`);
      else if (deletions.some((d) => !entities.configs({ user, clientId: null }).has(mechanismName(d.mechanism)!))) fail(ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
      else {
        await entities.alter({ user, clientId: null }, (configs) => {
          for (const d of deletions) configs.delete(mechanismName(d.mechanism)!);
          for (const u of upsertions) {
            const name = mechanismName(u.mechanism)!;
            const hash = scramHash(name);
            configs.set(name, formatScramCredential({ salt: u.salt, storedKey: storedKey(hash, u.saltedPassword), serverKey: serverKey(hash, u.saltedPassword), iterations: u.iterations }));
          }
        });
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
