"""Local stand-ins for the services pnav's casework backends talk to: LibreTranslate, a
webhook receiver, an SMTP server. Each listens on a free loopback port in a thread of
the test process and records what it got."""
