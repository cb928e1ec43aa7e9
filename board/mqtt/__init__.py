"""The MQTT admin interface: the documented, stable API of the wall.

Events leave through an outbox (never lost), the state is retained, admins send
requests and get responses, Home Assistant discovers the wall.
"""
