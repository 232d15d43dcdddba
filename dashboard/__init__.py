"""The Streamlit glue the pages share: sign-in, cached data, error boxes, report layout."""
