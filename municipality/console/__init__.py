"""The city administrator's pages for staff and departments (職員・部署の
管理), under ``manage/`` of the ``city`` area, and the staff invitation
link, which works before the reader has an account."""
