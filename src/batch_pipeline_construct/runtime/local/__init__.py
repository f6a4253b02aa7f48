"""Run a synthesized pipeline on this machine: real arrival code, real job image, local AWS APIs.

``batch-pipeline local APP_OR_ASSEMBLY FILE...`` (see :mod:`.command`) reads the cloud assembly
(:mod:`.assembly`), serves the pipeline's buckets, queues, tables and job queue from moto's
server (:mod:`.emulator`, :mod:`.resources`), feeds the arrival queue to the arrival handler from
the Lambda asset as Lambda's SQS event source would (:mod:`.event_source`), runs each submitted
job's container with Docker (:mod:`.jobs`) and publishes the completion rule's messages
(:mod:`.completion`). It needs the extra ``local`` (moto's server) and Docker.
"""
