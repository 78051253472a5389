"""Deadline reminders (issue 14, ADR 0024): the digest's words (``message``), its delivery
by e-mail and webhook (``delivery``), and sending every digest due (``runner``), from
``ketnap reminders run`` or the scheduler thread of ``ketnap serve``."""
