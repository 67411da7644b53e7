package dev.tandem.server;

/** One message of a chat: its role (system, user, assistant...) and its text. */
public record ChatMessage(String role, String content) {}
