-- Each service owns its own database (DESIGN.md §2); run once by postgres on an empty data volume.
CREATE DATABASE procurement;
CREATE DATABASE inventory;
CREATE DATABASE supplier_portal;
