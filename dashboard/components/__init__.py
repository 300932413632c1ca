"""The dashboard's logic: data shaping, charts, forms and Streamlit glue used by the pages."""
