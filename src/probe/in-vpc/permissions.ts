// What Lambda needs to attach a function to a VPC, and nothing else: the EC2 actions of the AWS
// managed policy AWSLambdaVPCAccessExecutionRole (AWS managed policy reference). Both the in-VPC
// probe's temporary role and `monitor`'s role carry them.
export const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];
