// AWS CLI command lines for the manual steps of an export (what a template cannot do to a cluster
// it does not own). MSK's updates take the cluster's current version (optimistic locking) and
// restart brokers; the next step must wait for the cluster to be ACTIVE again (MSK API reference,
// UpdateConnectivity, UpdateClusterConfiguration: `CurrentVersion`).

/** A shell expression: the cluster's current version, read when the command runs. */
export const mskCurrentVersion = (region: string, clusterArn: string): string =>
  `"$(aws kafka describe-cluster-v2 --region ${region} --cluster-arn ${clusterArn} --query ClusterInfo.CurrentVersion --output text)"`;

/** Waits until the cluster's update is over (a rolling restart: minutes per broker). */
export const mskWaitActive = (region: string, clusterArn: string): string =>
  `until [ "$(aws kafka describe-cluster-v2 --region ${region} --cluster-arn ${clusterArn} --query ClusterInfo.State --output text)" = ACTIVE ]; do sleep 30; done`;

/** A JSON argument in single quotes (no single quote can occur in what the export writes). */
export const jsonArg = (v: unknown): string => `'${JSON.stringify(v)}'`;

/**
 * The bash script that puts `property=value` on an MSK cluster through a configuration `name` the
 * stack owns, keeping the cluster's other server properties (the revision the cluster runs, or
 * nothing on MSK's default configuration), and saves what the cluster ran before in `saved` for the
 * undo. Run again, it makes a new revision and keeps what was saved first.
 */
export function mskPropertyScript(
  region: string,
  clusterArn: string,
  name: string,
  property: string,
  value: string,
  saved: string,
): string {
  const r = `--region ${region}`;
  return [
    'set -euo pipefail',
    `ARN=$(aws kafka list-configurations ${r} --query "Configurations[?Name=='${name}'].Arn | [0]" --output text)`,
    `CUR=$(aws kafka describe-cluster-v2 ${r} --cluster-arn ${clusterArn} --query 'ClusterInfo.Provisioned.CurrentBrokerSoftwareInfo.[ConfigurationArn,ConfigurationRevision]' --output text)`,
    'read -r CUR_ARN CUR_REV <<< "$CUR"',
    // Run again, the cluster already on the stack's configuration: what it ran before stays saved.
    `if [ "$CUR_ARN" != "$ARN" ] || [ ! -f ${saved} ]; then echo "$CUR_ARN $CUR_REV" > ${saved}; fi`,
    'if [ "$CUR_ARN" != None ]; then',
    `  aws kafka describe-configuration-revision ${r} --arn "$CUR_ARN" --revision "$CUR_REV" --query ServerProperties --output text | base64 -d | grep -v '^${property}=' > server.properties || true`,
    'else : > server.properties; fi',
    `echo '${property}=${value}' >> server.properties`,
    'if [ "$ARN" = None ]; then',
    `  ARN=$(aws kafka create-configuration ${r} --name ${name} --server-properties fileb://server.properties --query Arn --output text); REV=1`,
    `else REV=$(aws kafka update-configuration ${r} --arn "$ARN" --server-properties fileb://server.properties --query LatestRevision.Revision --output text); fi`,
    `aws kafka update-cluster-configuration ${r} --cluster-arn ${clusterArn} --current-version ${mskCurrentVersion(region, clusterArn)} --configuration-info "Arn=$ARN,Revision=$REV"`,
    mskWaitActive(region, clusterArn),
  ].join('\n');
}

/**
 * The undo of `mskPropertyScript`: the cluster back on the configuration it ran (then the stack's
 * configuration deleted), or, from MSK's default configuration, which no API goes back to, on a
 * revision of the stack's configuration without the property.
 */
export function mskPropertyUndo(
  region: string,
  clusterArn: string,
  name: string,
  property: string,
  saved: string,
): string {
  const r = `--region ${region}`;
  const apply = (info: string) =>
    `aws kafka update-cluster-configuration ${r} --cluster-arn ${clusterArn} --current-version ${mskCurrentVersion(region, clusterArn)} --configuration-info "${info}"`;
  return [
    'set -euo pipefail',
    `read -r PREV_ARN PREV_REV < ${saved}`,
    `ARN=$(aws kafka list-configurations ${r} --query "Configurations[?Name=='${name}'].Arn | [0]" --output text)`,
    'if [ "$PREV_ARN" != None ]; then',
    `  ${apply('Arn=$PREV_ARN,Revision=$PREV_REV')}`,
    `  ${mskWaitActive(region, clusterArn)}`,
    `  aws kafka delete-configuration ${r} --arn "$ARN"`,
    'else',
    `  LATEST=$(aws kafka describe-configuration ${r} --arn "$ARN" --query LatestRevision.Revision --output text)`,
    `  aws kafka describe-configuration-revision ${r} --arn "$ARN" --revision "$LATEST" --query ServerProperties --output text | base64 -d | grep -v '^${property}=' > server.properties || true`,
    `  REV=$(aws kafka update-configuration ${r} --arn "$ARN" --server-properties fileb://server.properties --query LatestRevision.Revision --output text)`,
    `  ${apply('Arn=$ARN,Revision=$REV')}`,
    `  ${mskWaitActive(region, clusterArn)}`,
    'fi',
  ].join('\n');
}
