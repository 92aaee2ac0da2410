"""What pytest leaves out when it collects the doctests of the packages (``--doctest-modules``).

The app's entry point and its page scripts run the app when imported (``st.navigation``,
``st.title``...): collecting them would run Streamlit outside a server.  The Leaflet
copies under ``dashboard/static`` are not ours.  Paths are relative to this file, so the
list holds wherever pytest is started from.
"""

collect_ignore = ["dashboard/app.py"]
collect_ignore_glob = ["dashboard/screens/*.py", "dashboard/static/*"]
