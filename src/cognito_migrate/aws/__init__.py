"""Everything that talks to AWS goes through this package: settings, clients, quotas, error mapping.

Command modules never import boto3 themselves; they ask ``AwsSettings`` for a client.
"""
