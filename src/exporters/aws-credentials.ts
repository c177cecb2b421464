// Credentials for the AWS exporters: the SDK's default chain, or a role assumed through STS with
// that chain's credentials when `role_arn` is set.
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';

export function awsCredentials(roleArn: string | undefined, region: string | undefined): ReturnType<typeof fromTemporaryCredentials> | undefined {
  if (!roleArn) return undefined;
  return fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'sluice' }, clientConfig: { region } });
}
