"""The researchers' SQL engine: a real Trino 476 server installed, configured and run by LearnSmart.

* :mod:`orchestration.trino.server`: install (Maven Central tarball, trimmed, cached outside the
  repository), configure (catalogs, TLS, passwords, access rules, query audit), start and stop;
* :mod:`orchestration.trino.client`: run SQL as a user over HTTPS;
* :mod:`orchestration.trino.register`: (re-)register the gold Delta tables;
* :mod:`orchestration.trino.cli`: the ``learnsmart trino`` commands.
"""
