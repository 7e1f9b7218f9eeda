"""Publishing and what proves it: the manifest, atomic publication under the ledger, additions
after publication, sign-off and signatures, the library index, exports, and the fingerprint that
tells an unchanged re-run."""
