/**
 * A kubeconfig for the test server, written as JSON (a subset of YAML that kubectl and client-node read). The server
 * speaks plain HTTP on loopback, without authentication unless it was started with a token; `insecure-skip-tls-verify` is what client-node requires before it talks http://.
 */
export function kubeconfigFor(url: string, token: string | undefined, namespace: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sluice-test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'sluice-test', user: token === undefined ? {} : { token } }],
    contexts: [{ name: 'sluice-test', context: { cluster: 'sluice-test', user: 'sluice-test', namespace } }],
    'current-context': 'sluice-test',
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
