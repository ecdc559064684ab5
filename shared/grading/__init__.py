"""The provider-grading domain package (服务商分级管理), shipped to every function as a Lambda layer.

Handlers parse and authorize (`routes/`), the domain modules decide, `dal` talks to DynamoDB and
`storage` to S3.
"""
