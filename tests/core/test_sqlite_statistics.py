"""The query planner gets statistics on the clinic's SQLite (SQLCipher) file, which otherwise never has any."""

from sqlcipher3 import dbapi2 as sqlcipher

from clinic_app.core.sqlite import _pragmas


def test_a_new_connection_gives_the_planner_statistics_for_an_indexed_table(tmp_path):
    path = tmp_path / "clinic.db"
    setup = sqlcipher.connect(str(path))
    setup.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, client INTEGER, day TEXT)")
    setup.execute("CREATE INDEX ix_visits_client ON visits (client)")
    setup.executemany("INSERT INTO visits (client, day) VALUES (?, ?)", [(i % 50, "2026-11-20") for i in range(5000)])
    setup.commit()
    assert not setup.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall()
    setup.close()

    connection = sqlcipher.connect(str(path))
    _pragmas()(connection, None)  # what the app's engine does on every new connection
    stats = dict(connection.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'visits'").fetchall())
    assert stats["ix_visits_client"].split()[0] == "5000"  # rows, then rows per distinct client: 100
    assert stats["ix_visits_client"].split()[1] == "100"
    connection.close()
