"""The local stack behind ``make run``: the template's functions, AWS (moto), Telegram and Blinger
stand-ins on this machine, for a person to chat with the bot and for the end-to-end tests.

Modules: `template_model` (template.yaml resolved to local values), `lambdas` (importing and
invoking handlers as Lambda would), `api` (HttpApi routes on localhost, API Gateway v2 events),
`aws` (moto server and the template's tables, queues and buckets), `sqs_poller` (SQS event source
mappings), `telegram` (sandbox, or the real Bot API by long polling), `stack` (start and stop in
order), `__main__` (the command line).
"""
