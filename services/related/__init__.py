"""The related worker: each article's related list, published on news.related."""
