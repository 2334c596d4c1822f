{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | The exception record of ABI.md section 6 and its wire form: 'Frame', 'ExceptionRecord' and
-- the reply 'Envelope' with their MessagePack encoding (canonical key order) and lifting
-- (unknown keys ignored, missing keys empty), the limits of a record (ABI.md section 11) and
-- 'limitRecord' that enforces them, and the text of a record ('levelText', 'chainText',
-- 'renderException').
--
-- Layer: exception records. Imports the wire codec ("Virgil.Msgpack") only.
module Virgil.Exception.Record
  ( -- * Records
    Frame (..)
  , ExceptionRecord (..)
  , Envelope (..)
  , exceptionRecord
  , language
  , maxChain
  , maxTraceback
  , maxAttributes
  , lookupAttribute
  , sortAttributes
  , limitRecord
    -- * Text
  , levelText
  , chainText
  , chainOf
  , renderException
  ) where

import Control.Exception (Exception (..))
import qualified Data.ByteString as BS
import Data.List (foldl', sortOn)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import Virgil.Msgpack

-- | The language of this kit's records.
language :: Text
language = "haskell"

-- | The most records in a chain (the outermost counts as one).
maxChain :: Int
maxChain = 256

-- | The most frames in one traceback.
maxTraceback :: Int
maxTraceback = 4096

-- | The most attributes of one record.
maxAttributes :: Int
maxAttributes = 256

-- | One traceback frame; 'frameLine' and 'frameColumn' are 0 and 'frameFile' empty when unknown.
data Frame = Frame
  { frameFunction :: !Text
  , frameFile :: !Text
  , frameLine :: !Int
  , frameColumn :: !Int
  }
  deriving (Eq, Show)

-- | An exception record: this level's name and message, its frames (oldest call first), its
-- cause, notes and attributes (in canonical order: ascending by the keys' UTF-8 bytes).
--
-- 'show' is the level's text ('levelText'); 'displayException' the whole story
-- ('renderException').
data ExceptionRecord = ExceptionRecord
  { excName :: !Text
  , excMessage :: !Text
  , excLanguage :: !Text
  , excTraceback :: [Frame]
  , excCause :: Maybe ExceptionRecord
  , excNotes :: [Text]
  , excAttributes :: [(Text, Value)]
  }
  deriving (Eq)

instance Show ExceptionRecord where
  show = T.unpack . levelText

-- | A record can be thrown, so that an exception that crossed from elsewhere can be rethrown as
-- it is.
instance Exception ExceptionRecord where
  displayException = T.unpack . renderException

-- | A record of this language with no frames, cause, notes or attributes.
exceptionRecord :: Text -> Text -> ExceptionRecord
exceptionRecord name msg = ExceptionRecord name msg language [] Nothing [] []

-- | An attribute of the record's level, its key matched exactly, else folded (ASCII lowercase,
-- @_@ and @-@ removed), as struct keys are.
lookupAttribute :: Text -> ExceptionRecord -> Maybe Value
lookupAttribute k r = case lookup k attrs of
  Just v -> Just v
  Nothing -> lookup (foldName k) [(foldName k', v) | (k', v) <- attrs]
  where
    attrs = excAttributes r

-- | Attributes in canonical order: ascending by the keys' UTF-8 bytes (a stable sort, so equal
-- keys keep their order).
sortAttributes :: [(Text, Value)] -> [(Text, Value)]
sortAttributes = sortOn (TE.encodeUtf8 . fst)

instance ToMsgpack Frame where
  toMsgpack (Frame fn file line col) =
    Map
      [ (Str "function", Str fn)
      , (Str "file", Str file)
      , (Str "line", Int (toInteger line))
      , (Str "column", Int (toInteger col))
      ]

instance FromMsgpack Frame where
  fromMsgpack (Map kvs) =
    Frame
      <$> optionalKey "function" T.empty kvs
      <*> optionalKey "file" T.empty kvs
      <*> optionalKey "line" 0 kvs
      <*> optionalKey "column" 0 kvs
  fromMsgpack v = typeMismatch "a frame map" v

-- | Canonical key order: name, message, language, traceback, cause, notes and attributes (the
-- last two only when non-empty; attribute keys ascending by their UTF-8 bytes).
instance ToMsgpack ExceptionRecord where
  toMsgpack r =
    Map
      ( [ (Str "name", Str (excName r))
        , (Str "message", Str (excMessage r))
        , (Str "language", Str (excLanguage r))
        , (Str "traceback", Array (map toMsgpack (excTraceback r)))
        , (Str "cause", maybe Nil toMsgpack (excCause r))
        ]
          ++ [(Str "notes", Array (map Str (excNotes r))) | not (null (excNotes r))]
          ++ [ (Str "attributes", Map [(Str k, v) | (k, v) <- sortAttributes (excAttributes r)])
             | not (null (excAttributes r))
             ]
      )

-- | Reads a record, ignoring unknown keys at every level and taking missing or nil keys as
-- empty (only @name@ is required); an @attributes@ value that is not a map is ignored, as are
-- its entries whose keys are not strings. Rejects chains longer than 'maxChain' records,
-- tracebacks longer than 'maxTraceback' frames and more than 'maxAttributes' attributes.
instance FromMsgpack ExceptionRecord where
  fromMsgpack = recordAt 1

recordAt :: Int -> Value -> Either FromError ExceptionRecord
recordAt level (Map kvs)
  | level > maxChain =
      Left (FromError [] ("cause chain longer than " <> T.pack (show maxChain) <> " records"))
  | otherwise = do
      name <- case lookupKey "name" kvs of
        Just (Str s) -> Right s
        Just v -> inside ".name" (typeMismatch "str" v)
        Nothing -> Left (FromError [] "exception record without a name")
      message <- optionalKey "message" T.empty kvs
      lang <- optionalKey "language" T.empty kvs
      frames <- case lookupKey "traceback" kvs of
        Just (Array xs)
          | length xs > maxTraceback ->
              Left (FromError [".traceback"] ("longer than " <> T.pack (show maxTraceback) <> " frames"))
        _ -> optionalKey "traceback" [] kvs
      cause <- case lookupKey "cause" kvs of
        Nothing -> Right Nothing
        Just Nil -> Right Nothing
        Just v -> Just <$> inside ".cause" (recordAt (level + 1) v)
      notes <- optionalKey "notes" [] kvs
      attrs <- case lookupKey "attributes" kvs of
        Just (Map as)
          | length as > maxAttributes ->
              Left (FromError [".attributes"] ("more than " <> T.pack (show maxAttributes) <> " attributes"))
          | otherwise -> Right (sortAttributes [(k, v) | (Str k, v) <- as])
        _ -> Right []
      pure (ExceptionRecord name message lang frames cause notes attrs)
recordAt _ v = typeMismatch "an exception record map" v

lookupKey :: Text -> [(Value, Value)] -> Maybe Value
lookupKey k = lookup (Str k)

-- | A key that may be missing or nil.
optionalKey :: FromMsgpack a => Text -> a -> [(Value, Value)] -> Either FromError a
optionalKey k def kvs = case lookupKey k kvs of
  Nothing -> Right def
  Just Nil -> Right def
  Just v -> inside ("." <> k) (fromMsgpack v)

-- | A reply envelope: @{"ok": value}@ or @{"error": exception}@.
data Envelope = Ok Value | Failure ExceptionRecord
  deriving (Eq, Show)

instance ToMsgpack Envelope where
  toMsgpack (Ok v) = Map [(Str "ok", v)]
  toMsgpack (Failure r) = Map [(Str "error", toMsgpack r)]

instance FromMsgpack Envelope where
  fromMsgpack (Map [(Str "ok", v)]) = Right (Ok v)
  fromMsgpack (Map [(Str "error", r)]) = Failure <$> inside ".error" (fromMsgpack r)
  fromMsgpack v = typeMismatch "a reply envelope" v

------------------------------------------------------------------------------------------------
-- Text (ABI.md section 6, "Text")

-- | The text of one level: its message, or its name when the message is empty.
levelText :: ExceptionRecord -> Text
levelText r = if T.null (excMessage r) then excName r else excMessage r

-- | The text of a chain: the messages of its levels, outermost first, joined by @": "@,
-- skipping empty ones (the outermost name when every message is empty):
-- @load config: /etc/app.toml: openBinaryFile: does not exist (No such file or directory)@.
chainText :: ExceptionRecord -> Text
chainText r = case filter (not . T.null) (map excMessage (chainOf r)) of
  [] -> excName r
  ms -> T.intercalate ": " ms

chainOf :: ExceptionRecord -> [ExceptionRecord]
chainOf r = r : maybe [] chainOf (excCause r)

-- | The whole story, outermost level first: each level's name, message and language, its
-- attributes, notes and frames (oldest call first, as Python prints them), then
-- @caused by:@ and the next level.
--
-- > FileNotFoundError: load config [haskell]
-- >   File "examples/haskell-guest/Conformance.hs", line 160, column 15, in Conformance.load_config
-- > caused by: FileNotFoundError: /x: openBinaryFile: does not exist (No such file or directory) [haskell]
-- >   errno = 2
-- >   filename = "/x"
renderException :: ExceptionRecord -> Text
renderException = T.intercalate "\n" . concat . zipWith level [0 :: Int ..] . chainOf
  where
    level i r =
      ( (if i == 0 then "" else "caused by: ") <> excName r
          <> (if T.null (excMessage r) then "" else ": " <> excMessage r)
          <> (if T.null (excLanguage r) then "" else " [" <> excLanguage r <> "]")
      )
        : ["  " <> k <> " = " <> renderValue v | (k, v) <- excAttributes r]
        ++ ["  note: " <> n | n <- excNotes r]
        ++ map frameLine' (excTraceback r)
    frameLine' (Frame fn file line col) =
      "  File " <> T.pack (show (T.unpack file)) <> ", line " <> T.pack (show line)
        <> (if col > 0 then ", column " <> T.pack (show col) else "")
        <> ", in " <> fn

-- | A value as a reader would write it: numbers and strings plainly, containers in brackets.
renderValue :: Value -> Text
renderValue v = case v of
  Nil -> "nil"
  Bool b -> if b then "true" else "false"
  Int n -> T.pack (show n)
  Float d -> T.pack (show d)
  Float32 f -> T.pack (show f)
  Str s -> T.pack (show (T.unpack s))
  Bin b -> "<" <> T.pack (show (BS.length b)) <> " bytes>"
  Array xs -> "[" <> T.intercalate ", " (map renderValue xs) <> "]"
  Map kvs -> "{" <> T.intercalate ", " [renderValue k <> ": " <> renderValue x | (k, x) <- kvs] <> "}"
  Time s ns -> "time(" <> T.pack (show s) <> "s " <> T.pack (show ns) <> "ns)"
  Ext t b -> "ext(" <> T.pack (show t) <> ", " <> T.pack (show (BS.length b)) <> " bytes)"

------------------------------------------------------------------------------------------------
-- Limits (ABI.md section 11)

-- | Cuts a chain longer than 'maxChain' records, tracebacks longer than 'maxTraceback' frames
-- (keeping the newest frames) and more than 'maxAttributes' attributes, saying so in a note.
limitRecord :: ExceptionRecord -> ExceptionRecord
limitRecord = go 1
  where
    go level r =
      let r' = cutAttributes (cutFrames r)
       in case excCause r' of
            Nothing -> r'
            Just c
              | level >= maxChain ->
                  r'
                    { excCause = Nothing
                    , excNotes =
                        excNotes r'
                          ++ [ "cause chain cut at " <> T.pack (show maxChain) <> " records; "
                                <> T.pack (show (chainLength c)) <> " more dropped"
                             ]
                    }
              | otherwise -> r' {excCause = Just (go (level + 1) c)}
    cutFrames r
      | n <= maxTraceback = r
      | otherwise =
          r
            { excTraceback = drop (n - maxTraceback) (excTraceback r)
            , excNotes =
                excNotes r
                  ++ [ "traceback cut to the newest " <> T.pack (show maxTraceback) <> " of "
                        <> T.pack (show n) <> " frames"
                     ]
            }
      where
        n = length (excTraceback r)
    cutAttributes r
      | n <= maxAttributes = r
      | otherwise =
          r
            { excAttributes = take maxAttributes (sortAttributes (excAttributes r))
            , excNotes =
                excNotes r
                  ++ [ "attributes cut to the first " <> T.pack (show maxAttributes) <> " of "
                        <> T.pack (show n)
                     ]
            }
      where
        n = length (excAttributes r)
    chainLength :: ExceptionRecord -> Int
    chainLength = foldl' (\k _ -> k + 1) 0 . chainOf
