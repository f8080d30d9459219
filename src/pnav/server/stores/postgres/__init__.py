"""The scale-out store: PostgreSQL through psycopg 3 (``store = "postgres"``)."""
