-- Supervisors' statistics read these rollups instead of the cases: per China
-- day, per figure, counts (n) and sums of money (fen), kept once for the
-- county ('c', unit 0) and once per township ('t'), village ('v') and
-- officer ('o'). Every write that changes a figure updates them in its own
-- transaction; `stat_state` records what they were built with, and they are
-- rebuilt from the cases whenever that differs (or is missing). They hold no
-- personal data and are not backed up: a restore rebuilds them.
--
-- `since` makes distinct counts exact over any period: a case refused twice,
-- or a person aided twice, has its later rows marked with the day of the one
-- before, and a period counts only rows whose `since` lies before it.
CREATE TABLE stat_days (
    level TEXT NOT NULL,
    unit BIGINT NOT NULL,
    day TEXT NOT NULL,
    figure TEXT NOT NULL,
    since TEXT NOT NULL DEFAULT '',
    n BIGINT NOT NULL DEFAULT 0,
    fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (level, unit, day, figure, since)
);

CREATE TABLE stat_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
