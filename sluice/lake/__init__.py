"""The lake layer: the only place that knows local disk from S3.

``paths`` holds the pure URI rules (resolve, hidden files), ``fs`` listing, reading and writing over
pyarrow's filesystems, ``stage`` the staging and publish primitives, ``objects`` the operations on one
object (versions, tags, storage classes, restores, deletes, uploads), and ``guard`` the storage-class guard
with the object state it reads.
"""
