"""Residents' progress e-mails: composing and queueing them, the outbox, SMTP delivery and
unsubscribing.
"""
