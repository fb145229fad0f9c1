"""The node canvas: a QGraphicsScene per network that follows the document's events."""
