"""The witness: an independent auditor's process that holds the ledger to one history.

It keeps the last checkpoint it cosigned (``state.py``), fetches the ledger's latest checkpoint
and the consistency proof from it (``ledger_api.py``), and cosigns (C2SP cosignature/v1) only a
checkpoint that the ledger's key signed and that extends what it saw; otherwise it refuses and
keeps the evidence of the split view (``auditor.py``). It imports only ``verify/`` and the
standard library: it trusts nothing of the ledger but its public key.
"""
