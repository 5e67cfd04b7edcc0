"""The procurement app's pages; config/urls.py puts them in the city and
supplier areas."""
