import logging

from django.core.mail.backends.filebased import EmailBackend

logger = logging.getLogger(__name__)


class FolderEmailBackend(EmailBackend):
    """Writes each message to EMAIL_FILE_PATH and says so on the console.

    The default when no SMTP server is configured, so that a person running
    the demo can open the messages (password resets, invitations) they send.
    """

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages:
            logger.warning(
                "メールを %s に保存しました: 「%s」 宛先 %s",
                self.file_path,
                message.subject,
                ", ".join(message.to),
            )
        return sent
