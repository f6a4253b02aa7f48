"""cdk-nag and cfn-lint on every example app."""
