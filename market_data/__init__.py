"""Market data for the trading system: LEAN data-folder I/O and the sources that fill it.

- :mod:`market_data.lean`: read, write and list bars in a LEAN data folder.
- :mod:`market_data.bundled`: offline daily US stock prices from an installed package.
- :mod:`market_data.providers`: Binance and Polygon clients.
- :mod:`market_data.csv_source`: bars from ordinary CSV files.
- :mod:`market_data.importing`: import from any source into a LEAN data folder.
"""
